/* The fixture's FreeRTOS configuration, for both ports: ARM_CM3 on QEMU's mps2-an385 and the
 * POSIX port on the host. FIXTURE_CORTEX_M is set by build.rs for the board. */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

#define configUSE_PREEMPTION                     1
#define configUSE_TIME_SLICING                   1
#define configUSE_IDLE_HOOK                      0
#define configUSE_TICK_HOOK                      1
#define configTICK_RATE_HZ                       1000
#define configMAX_PRIORITIES                     8
#define configMAX_TASK_NAME_LEN                  16
#define configIDLE_SHOULD_YIELD                  1
#define configUSE_MUTEXES                        1
#define configUSE_RECURSIVE_MUTEXES              0
#define configUSE_COUNTING_SEMAPHORES            1
#define configUSE_TIMERS                         0
#define configSUPPORT_DYNAMIC_ALLOCATION         1
#define configSUPPORT_STATIC_ALLOCATION          0
#define configUSE_MALLOC_FAILED_HOOK             1

/* What portable-futex needs (glue.c checks each): task notifications with a second index,
 * which the futex takes; the current task and its priority; the scheduler's state. */
#define configUSE_TASK_NOTIFICATIONS             1
#define configTASK_NOTIFICATION_ARRAY_ENTRIES    2
#define INCLUDE_xTaskGetCurrentTaskHandle        1
#define INCLUDE_uxTaskPriorityGet                1
#define INCLUDE_xTaskGetSchedulerState           1
/* Not required, but without it a wait with no timeout wakes every portMAX_DELAY ticks to
 * look again. */
#define INCLUDE_vTaskSuspend                     1

#define INCLUDE_vTaskDelete                      1
#define INCLUDE_vTaskDelay                       1
#define INCLUDE_vTaskPrioritySet                 1

void vAssertCalled( const char * pcFile, unsigned long ulLine );
#define configASSERT( x )    if( ( x ) == 0 ) vAssertCalled( __FILE__, __LINE__ )

#if FIXTURE_CORTEX_M
    /* mps2-an385: a 25 MHz Cortex-M3 with 4 MiB of RAM. */
    #define configCPU_CLOCK_HZ                      25000000
    #define configTICK_TYPE_WIDTH_IN_BITS           TICK_TYPE_WIDTH_32_BITS
    #define configMINIMAL_STACK_SIZE                256
    #define configTOTAL_HEAP_SIZE                   ( 256 * 1024 )
    #define configCHECK_FOR_STACK_OVERFLOW          2
    /* Priorities in the top 3 bits: the kernel at the lowest, FreeRTOS callable up to 5. */
    #define configPRIO_BITS                         3
    #define configKERNEL_INTERRUPT_PRIORITY         ( 7 << ( 8 - configPRIO_BITS ) )
    #define configMAX_SYSCALL_INTERRUPT_PRIORITY    ( 5 << ( 8 - configPRIO_BITS ) )
    /* The port's handlers are the vector table's entries (cortex-m-rt's names). */
    #define vPortSVCHandler                         SVCall
    #define xPortPendSVHandler                      PendSV
    #define xPortSysTickHandler                     SysTick
#else
    /* The POSIX port: its TickType_t is an unsigned long. Task stacks come from the heap
     * and must hold a pthread's. */
    #define configTICK_TYPE_WIDTH_IN_BITS           TICK_TYPE_WIDTH_64_BITS
    #define configMINIMAL_STACK_SIZE                ( 16 * 1024 )
    #define configTOTAL_HEAP_SIZE                   ( 16 * 1024 * 1024 )
    #define configCHECK_FOR_STACK_OVERFLOW          0
    /* The simulator's only interrupt is its tick (a signal handler): the tick hook marks it,
     * so that a wake from the hook takes the FromISR path; the switch it asks for is made by
     * the tick handler itself (a yield inside the signal handler is not the port's way). */
    extern volatile int fixture_in_tick_hook;
    #define portable_futexIN_ISR()                  ( fixture_in_tick_hook != 0 )
    #define portable_futexYIELD_FROM_ISR( x )       ( ( void ) ( x ) )
#endif

#endif /* FREERTOS_CONFIG_H */
